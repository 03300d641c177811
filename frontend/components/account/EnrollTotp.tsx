"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import QRCode from "qrcode";
import { useEffect, useRef, useState } from "react";

import { CodeField } from "@/components/auth/CodeField";
import { CopyButton } from "@/components/CopyButton";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import { setupTotp, verifyTotp } from "@/lib/api/account";
import { safeNext } from "@/lib/api/client";
import { fieldError } from "@/lib/api/problem";
import type { TotpSetup } from "@/lib/api/types";
import { useAuth, useSetAuthState } from "@/lib/auth";
import { useFormAction } from "@/lib/form-action";

import { RecoveryCodes } from "./RecoveryCodes";

/** Turn on two-step verification: scan, confirm a code, save the recovery codes. */
export function EnrollTotp() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"), "/account");
  const { user, status } = useAuth();
  const setAuth = useSetAuthState();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [setupError, setSetupError] = useState<unknown>(null);
  const [code, setCode] = useState("");
  const { busy, error, submit } = useFormAction();
  const [codes, setCodes] = useState<string[] | null>(null);
  const started = useRef(false);
  const forced = status === "mfa_enrollment_required";
  const alreadyOn = user?.totp_enabled === true && codes === null;

  const start = async () => {
    setSetupError(null);
    try {
      const s = await setupTotp();
      setSetup(s);
      setQr(await QRCode.toDataURL(s.otpauth_uri, { margin: 1, width: 224 }));
    } catch (e) {
      setSetupError(e);
    }
  };

  useEffect(() => {
    if (started.current || user === null || alreadyOn) return;
    started.current = true;
    void start();
  }, [user, alreadyOn]);

  if (alreadyOn) {
    return (
      <div className="flex flex-col gap-3">
        <p role="status">Two-step verification is already on for {user?.email}.</p>
        <Link href="/account" className="btn-secondary self-start">
          Back to your account
        </Link>
      </div>
    );
  }

  if (codes) {
    return (
      <div className="flex flex-col gap-4">
        <p role="status" className="rounded-md border border-teal-300 bg-teal-50 p-3">
          Two-step verification is on.
        </p>
        <RecoveryCodes codes={codes} />
        <button
          type="button"
          className="btn-primary self-start"
          onClick={() => router.replace(next)}
        >
          I have saved them, continue
        </button>
      </div>
    );
  }

  const codeError = fieldError(error, "code");
  return (
    <div className="flex flex-col gap-4">
      {forced && (
        <p className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950">
          Your role ({user?.role}) needs two-step verification. Set it up to continue.
        </p>
      )}
      <ol className="list-decimal space-y-1 pl-5 text-slate-700">
        <li>Open an authenticator app on your phone (any app that supports TOTP).</li>
        <li>Scan the QR code, or type the setup key.</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      {setupError !== null && (
        <ErrorNotice error={setupError} onRetry={() => void start()} retryLabel="Try again" />
      )}
      {setup ? (
        <div className="card flex flex-col items-start gap-4">
          {qr && (
            // A data: URL drawn in the page; next/image has nothing to optimise here.
            // eslint-disable-next-line @next/next/no-img-element
            <img
              src={qr}
              width={224}
              height={224}
              alt="QR code to add Lumen to your authenticator app"
            />
          )}
          <div className="flex w-full flex-col gap-2">
            <Field
              label="Setup key"
              readOnly
              value={setup.secret}
              className="font-mono"
              spellCheck={false}
              hint="Use this key if you cannot scan the code (time-based, 6 digits, 30 s)."
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton text={setup.secret} label="Copy setup key" />
          </div>
        </div>
      ) : (
        setupError === null && <p role="status">Preparing your setup key…</p>
      )}
      {setup && (
        <form
          className="card flex flex-col gap-4"
          onSubmit={(e) =>
            submit(e, async () => {
              const result = await verifyTotp(code.replace(/\s/g, ""));
              setCodes(result.recovery_codes);
              setAuth(result.state, { keepData: true });
            })
          }
        >
          <CodeField
            label="6-digit code"
            value={code}
            error={codeError}
            onChange={(e) => setCode(e.target.value)}
          />
          <SubmitRow
            error={codeError === null ? error : null}
            busy={busy}
            label="Turn on two-step verification"
            busyLabel="Checking…"
            start
          />
        </form>
      )}
    </div>
  );
}
