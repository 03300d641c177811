"""Request dependencies of the account domain: its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.account.service import AccountService
from lumen.account.tokens import ApiTokenService
from lumen.deps import provide

AccountDep = Annotated[AccountService, Depends(provide(AccountService))]
ApiTokensDep = Annotated[ApiTokenService, Depends(provide(ApiTokenService))]
