// The pages' only script: the copy buttons, the "send again" countdown, and WebOTP on the
// code page (Chrome fills in the code from the SMS; without the API nothing changes).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const text = document.querySelector(button.dataset.copy).textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector(button.dataset.copy));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copied;
    });
  }
  const resend = document.getElementById("resend");
  if (resend) {
    let left = Number(resend.dataset.wait) || 0;
    const wait = document.getElementById("resend-wait");
    const tick = () => {
      if (left <= 0) {
        resend.disabled = false;
        wait.hidden = true;
        return;
      }
      wait.querySelector(".seconds").textContent = left;
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }
  const otp = document.querySelector('input[autocomplete="one-time-code"]');
  if (otp && "OTPCredential" in window && navigator.credentials) {
    const form = otp.form;
    const abort = new AbortController();
    form.addEventListener("submit", () => abort.abort());
    navigator.credentials
      .get({ otp: { transport: ["sms"] }, signal: abort.signal })
      .then((credential) => {
        if (credential && credential.code && !abort.signal.aborted) {
          otp.value = credential.code;
          form.requestSubmit();
        }
      })
      .catch(() => {}); // no SMS, dismissed or aborted: the person types the code
  }
});
