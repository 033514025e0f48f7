import type { Video } from "@reelgate/contracts";

/** Create, remix, edit and extension answers also carry the relay's "general video response" fields; OpenAI SDKs ignore them. */
export const withTaskFields = (video: Video) => ({
  ...video,
  task_id: video.id,
  task_status: "succeed" as const,
  message: "",
});
