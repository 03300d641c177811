"""Request dependencies of the chat domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.chat.service import ChatService
from lumen.deps import provide
from lumen.observability.metrics import AnswerMetrics

ChatServiceDep = Annotated[ChatService, Depends(provide(ChatService))]
AnswerMetricsDep = Annotated[AnswerMetrics, Depends(provide(AnswerMetrics))]
