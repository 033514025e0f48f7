/** What tools outside the service may use: the read model's projection, for rebuilds and checks. */
export { projectEvent } from "./views/projection.ts";
export { openViews, type Views, videoCollection } from "./views/views.ts";
