import { useEffect, useState } from "react";

/** Pages live in the URL's fragment (#/videos/video_…): ingress serves one index.html, and no secret is ever in it. */
const read = () => window.location.hash.replace(/^#/, "") || "/";

export const useRoute = () => {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
};

export const go = (path: string) => {
  window.location.hash = path;
};
