/** What the server accepts as a password, said before anyone types one. */
export function PasswordRules() {
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
