// JSON calls for the staff pages' signing scripts (coach assignments, group member lists, the
// duty roster): one place for the session cookie, the CSRF header and "never throw for HTTP".

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

// A JSON call: { ok, status, data }; never throws for HTTP errors (status 0: no connection).
export async function call(path, body, method = body === undefined ? 'GET' : 'POST') {
  try {
    const response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { ok: false, status: 0, data: null };
  }
}

// GET JSON; throws when the answer is not 2xx.
export async function getJson(path) {
  const result = await call(path);
  if (!result.ok) throw new Error(`${path}: ${result.status}`);
  return result.data;
}
