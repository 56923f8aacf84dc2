import { signal } from "@preact/signals";
import { api, ApiError, setToken } from "../api";
import type { TokenOut } from "../types";

const mode = signal<"in" | "up">("in");
const error = signal<string | null>(null);
const busy = signal(false);

async function submit(e: Event): Promise<void> {
  e.preventDefault();
  const form = new FormData(e.currentTarget as HTMLFormElement);
  const credentials = { email: String(form.get("email")), password: String(form.get("password")) };
  busy.value = true;
  error.value = null;
  try {
    if (mode.value === "up") await api("POST", "/api/v1/auth/register", credentials);
    const out = await api<TokenOut>("POST", "/api/v1/auth/login", credentials);
    setToken(out.access_token);
  } catch (err) {
    error.value = err instanceof ApiError ? err.message : "The server could not be reached.";
  } finally {
    busy.value = false;
  }
}

export function SignIn() {
  const up = mode.value === "up";
  const title = up ? "Create an account" : "Sign in";
  return (
    <main id="main" class="auth">
      <h1>BeatStitch Studio</h1>
      <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby="auth-title">
        <h2 id="auth-title">{title}</h2>
        <label>
          E-mail
          <input name="email" type="email" autocomplete="username" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={up ? "new-password" : "current-password"}
            minLength={8}
            required
          />
        </label>
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
        <button type="submit" disabled={busy.value}>
          {up ? "Sign up" : "Sign in"}
        </button>
        <button
          type="button"
          class="quiet"
          onClick={() => {
            mode.value = up ? "in" : "up";
            error.value = null;
          }}
        >
          {up ? "I have an account: sign in" : "New here? Create an account"}
        </button>
      </form>
    </main>
  );
}
