// The pages' only script: the copy button and the "send again" countdown.
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
});
