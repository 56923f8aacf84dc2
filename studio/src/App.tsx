import { api, setToken, token } from "./api";
import { Admin } from "./pages/Admin";
import { ProjectPage } from "./pages/ProjectPage";
import { Projects } from "./pages/Projects";
import { SignIn } from "./pages/SignIn";
import { ADMIN_PATH, isAdminPath, navigate, path, projectIdOf } from "./router";

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
        <nav class="nav" aria-label="Studio">
          {/* The admin page: the render clip config, read-only for users. */}
          <a
            href={ADMIN_PATH}
            aria-current={isAdminPath(path.value) ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(ADMIN_PATH);
            }}
          >
            Admin
          </a>
          <button type="button" class="quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        </nav>
      </header>
      <main id="main">
        {isAdminPath(path.value) ? (
          <Admin />
        ) : projectId ? (
          <ProjectPage id={projectId} />
        ) : (
          <Projects />
        )}
      </main>
    </>
  );
}
