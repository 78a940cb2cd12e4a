// The coding API over fetch: session cookie, CSRF token from the page, JSON in and out.

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

export class ApiError extends Error {
  constructor(status, data) {
    const errors = data && data.errors ? Object.entries(data.errors).map(([field, message]) => (field === "non_field_errors" ? message : `${field}: ${message}`)) : [];
    super(errors.join(" ") || (data && data.detail) || `The server answered ${status}.`);
    this.status = status;
    this.data = data;
  }
}

/** `version`: the excerpt's version as last read, sent as If-Match so that a stale write answers 412. */
export async function request(method, url, body, { version } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { detail: "The server could not be reached; nothing was saved." });
  }
  if (response.status === 204) return null;
  return readAnswer(response);
}

/** A response's JSON, or an ApiError with whatever the server said. */
async function readAnswer(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A GET sent with If-None-Match: null when nothing changed since `etag` (304), else the body and its new ETag. */
export async function requestIfChanged(url, etag) {
  const headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, { detail: "The server could not be reached." });
  }
  if (response.status === 304) return null;
  return { data: await readAnswer(response), etag: response.headers.get("ETag") };
}

/** A write that outlives the page (sent as it closes). */
export function sendOnLeaving(method, url) {
  try {
    fetch(url, { method, keepalive: true, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } });
  } catch {
    // The page is going; nothing to tell anyone.
  }
}
