import { useEffect, useState } from "preact/hooks";
import { imageUrl } from "../api";

/** A protected image fetched with the bearer token, shown from an object URL. */
export function Thumbnail({ src, alt }: { src: string; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let made: string | null = null;
    let live = true;
    imageUrl(src)
      .then((u) => {
        made = u;
        if (live) setUrl(u);
        else URL.revokeObjectURL(u);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [src]);
  return url ? <img class="thumb" src={url} alt={alt} /> : <div class="thumb empty" aria-hidden="true" />;
}
