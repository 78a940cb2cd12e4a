// Send a form's file with XMLHttpRequest so that a progress bar can show how much has gone up.
//
// Applies to every <form data-upload-progress> holding a file input. Without JavaScript the form posts as usual.
// The server answers this script's requests (marked X-Requested-With) with {"location": url} when it is done, and
// otherwise with the page, whose form (with its errors) replaces this one.

const KB = 1024;

// As Django's filesizeformat writes sizes, so that the messages here read like the server's.
export function formatSize(bytes) {
  if (bytes < KB) return `${bytes}\u00a0byte${bytes === 1 ? "" : "s"}`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / KB;
  let unit = 0;
  while (value >= KB && unit < units.length - 1) {
    value /= KB;
    unit += 1;
  }
  return `${value.toFixed(1)}\u00a0${units[unit]}`;
}

function showError(form, message) {
  let box = form.querySelector(".form-errors");
  if (!box) {
    box = document.createElement("div");
    box.className = "form-errors";
    box.setAttribute("role", "alert");
    form.prepend(box);
  }
  const paragraph = document.createElement("p");
  paragraph.textContent = message;
  box.replaceChildren(paragraph);
  box.setAttribute("tabindex", "-1");
  box.focus();
}

function chosenFile(form) {
  for (const input of form.querySelectorAll('input[type="file"]')) {
    if (input.files && input.files.length) return input.files[0];
  }
  return null;
}

function upload(form, file) {
  const status = form.querySelector("[data-upload-status]");
  const bar = status.querySelector("progress");
  const text = status.querySelector("[data-upload-text]");
  const cancel = status.querySelector("[data-upload-cancel]");
  const submit = form.querySelector('button[type="submit"]');
  const xhr = new XMLHttpRequest();

  const finish = () => {
    status.hidden = true;
    submit.disabled = false;
  };

  xhr.open("POST", form.action);
  xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
  xhr.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    bar.max = event.total;
    bar.value = event.loaded;
    const percent = Math.floor((100 * event.loaded) / event.total);
    text.textContent = `Uploading “${file.name}”: ${percent}% (${formatSize(event.loaded)} of ${formatSize(event.total)})`;
  });
  xhr.upload.addEventListener("load", () => {
    bar.removeAttribute("value");
    cancel.hidden = true;
    text.textContent = `Uploaded “${file.name}”; reading the transcript…`;
  });
  xhr.addEventListener("load", () => {
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.status === 200 && type.startsWith("application/json")) {
      text.textContent = "Imported; opening the interview…";
      window.location.assign(JSON.parse(xhr.responseText).location);
      return;
    }
    if (xhr.status === 200 && new URL(xhr.responseURL).pathname !== new URL(form.action).pathname) {
      // Redirected elsewhere, as to the login page when the session has ended: go there.
      window.location.assign(xhr.responseURL);
      return;
    }
    if (type.startsWith("text/html") && (xhr.status === 200 || xhr.status === 400)) {
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const replacement = page.getElementById(form.id);
      if (replacement) {
        form.replaceWith(replacement);
        enhance(replacement);
        const error = replacement.querySelector('.form-errors, [role="alert"]');
        if (error) {
          error.setAttribute("tabindex", "-1");
          error.focus();
        }
        return;
      }
    }
    finish();
    showError(form, `The upload failed (the server answered ${xhr.status} ${xhr.statusText}). Try again.`);
  });
  xhr.addEventListener("error", () => {
    finish();
    showError(form, "The upload did not complete: check the connection and try again.");
  });
  xhr.addEventListener("abort", () => {
    finish();
    showError(form, "The upload was stopped; nothing was imported.");
  });
  cancel.hidden = false;
  cancel.onclick = () => xhr.abort();

  bar.max = file.size || 1;
  bar.value = 0;
  text.textContent = `Uploading “${file.name}”…`;
  status.hidden = false;
  submit.disabled = true;
  xhr.send(new FormData(form));
}

export function enhance(form) {
  form.addEventListener("submit", (event) => {
    const file = chosenFile(form);
    if (!file) return; // nothing to show progress for: the form posts as usual
    event.preventDefault();
    const limit = Number(form.dataset.maxBytes);
    if (limit && file.size > limit) {
      showError(form, `“${file.name}” is ${formatSize(file.size)}; the largest file that can be imported is ${formatSize(limit)}.`);
      return;
    }
    upload(form, file);
  });
}

for (const form of document.querySelectorAll("form[data-upload-progress]")) {
  enhance(form);
}
