// Talking to the REST API with the browser's session cookie; errors become readable messages.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401 && !path.startsWith("/api/auth/login")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    throw new ApiError(401, "signed out");
  }
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.detail) || `${response.status} ${response.statusText}`);
  }
  return data;
}

export function say(message, isError = false) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

// Run an action, reporting its failure in the status line instead of losing it in the console.
export async function attempt(action, done) {
  try {
    const result = await action();
    if (done) say(done);
    return result;
  } catch (error) {
    say(error.message, true);
    return undefined;
  }
}
