const byExtension: Record<string, string> = {
  mp4: "video/mp4",
  webm: "video/webm",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
};

export const contentTypeOfKey = (key: string): string =>
  byExtension[key.slice(key.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";

export const extensionOf = (contentType: string): string => {
  const found = Object.entries(byExtension).find(([, type]) => type === contentType.split(";")[0]?.trim());
  return found?.[0] ?? "bin";
};
