import type { ComponentProps } from "react";

import { Field } from "@/components/Field";

type Props = Omit<ComponentProps<typeof Field>, "type" | "autoComplete" | "required" | "hint"> & {
  /** A password being chosen: the browser may suggest one, and the rules are shown. */
  isNew?: boolean;
};

/** What the server accepts as a password, said before anyone types one. */
function PasswordRules() {
  return (
    <ul className="list-disc pl-5">
      <li>At least 12 characters. A few unrelated words make a strong, memorable password.</li>
      <li>No rules about digits, capitals or symbols.</li>
      <li>
        Common or breached passwords, your email, and repeated or sequential characters are refused.
      </li>
    </ul>
  );
}

/** A required password input: the current one, or (`isNew`) one being chosen. */
export function PasswordField({ isNew = false, ...field }: Props) {
  return (
    <Field
      type="password"
      autoComplete={isNew ? "new-password" : "current-password"}
      required
      hint={isNew ? <PasswordRules /> : undefined}
      {...field}
    />
  );
}
