import { api, setToken, token } from "./api";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { SignIn } from "./pages/SignIn";
import { navigate, path, projectIdOf } from "./router";

async function signOut(): Promise<void> {
  try {
    await api("POST", "/api/v1/auth/logout");
  } catch {
    // The token may already be gone; signing out here is what matters.
  }
  setToken(null);
  navigate("/");
}

export function App() {
  if (!token.value) return <SignIn />;
  const projectId = projectIdOf(path.value);
  return (
    <>
      <header class="bar">
        <a
          class="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate("/");
          }}
        >
          BeatStitch Studio
        </a>
        <button type="button" class="quiet" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">{projectId ? <ProjectPage id={projectId} /> : <Projects />}</main>
    </>
  );
}
