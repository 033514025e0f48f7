import { useState } from "react";
import { loadSession, type Session, saveSession } from "./api.ts";
import { AccountPage } from "./pages/Account.tsx";
import { AdminPage } from "./pages/Admin.tsx";
import { GeneratePage } from "./pages/Generate.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { VideoPage } from "./pages/Video.tsx";
import { VideosPage } from "./pages/Videos.tsx";
import { go, useRoute } from "./route.ts";

const tenantPages = [
  ["/generate", "Generate"],
  ["/videos", "Videos"],
  ["/account", "Account"],
] as const;
const adminPages = [
  ["/admin/accounts", "Accounts"],
  ["/admin/channels", "Channels"],
  ["/admin/dead-letters", "Dead letters"],
  ["/admin/videos", "Video history"],
] as const;

const Page = ({ session, route }: { session: Session; route: string }) => {
  if (session.role === "admin") return <AdminPage session={session} route={route} />;
  const video = route.match(/^\/videos\/([^/]+)$/);
  if (video) return <VideoPage session={session} id={decodeURIComponent(video[1]!)} />;
  if (route.startsWith("/videos")) return <VideosPage session={session} />;
  if (route.startsWith("/account")) return <AccountPage session={session} />;
  return <GeneratePage session={session} />;
};

export const App = () => {
  const [session, setSession] = useState<Session | null>(loadSession);
  const route = useRoute();
  const signIn = (next: Session) => {
    saveSession(next);
    setSession(next);
    go(next.role === "admin" ? "/admin/accounts" : "/generate");
  };
  const signOut = () => {
    saveSession(null);
    setSession(null);
    go("/");
  };
  const pages = session?.role === "admin" ? adminPages : tenantPages;
  return (
    <>
      <button type="button" className="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <span className="brand">Reelgate</span>
        {session && (
          <nav aria-label="Pages">
            <ul>
              {pages.map(([path, label]) => (
                <li key={path}>
                  <a href={`#${path}`} aria-current={route.startsWith(path) ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {session && (
          <button type="button" className="quiet" onClick={signOut}>
            Sign out{session.role === "admin" ? " (admin)" : ""}
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {session ? <Page session={session} route={route} /> : <SignIn onSignIn={signIn} />}
      </main>
    </>
  );
};
