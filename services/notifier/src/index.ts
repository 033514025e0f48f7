export { parseRetrySchedule } from "./domain/retry-schedule.ts";
