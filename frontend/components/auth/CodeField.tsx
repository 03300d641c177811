import type { ComponentProps } from "react";

import { Field } from "@/components/Field";

type Props = Omit<ComponentProps<typeof Field>, "inputMode" | "autoComplete" | "required">;

/** A required input for the 6-digit code of an authenticator app. */
export function CodeField(props: Props) {
  return <Field inputMode="numeric" autoComplete="one-time-code" required {...props} />;
}
