import { builtInCatalog, priceOf } from "@reelgate/contracts";
import { deciderSpec } from "@reelgate/testkit";
import { describe, it } from "vitest";
import {
  ConflictError,
  InsufficientFundsError,
  InvalidFieldError,
  NotFoundError,
  UnsupportedOperationError,
} from "../src/domain/errors.ts";
import { quoteRequest } from "../src/domain/quote.ts";
import { type SourceVideo, type TaskEvent, taskAggregate } from "../src/domain/task.ts";

const spec = deciderSpec(taskAggregate);
const now = new Date("2026-01-01T00:00:00Z");
const createdAt = Math.floor(now.getTime() / 1000);
const catalog = builtInCatalog;
const sora4 = { model: "sora-2", seconds: "4", size: "720x1280" };
const price = (video: { model: string; seconds: string; size: string }) => priceOf(video, catalog, "acct_1")!;
const rich = { videoId: "video_new", accountId: "acct_1", prompt: "a cat", spendableMicros: 100_000_000, now };

const requestedEvent = (fields: Partial<TaskEvent["data"]> = {}): TaskEvent => ({
  type: "VideoRequested",
  data: {
    videoId: "video_new",
    accountId: "acct_1",
    ...sora4,
    prompt: "a cat",
    quoteMicros: price(sora4),
    remixedFromVideoId: null,
    inputReference: null,
    createdAt,
    operation: "create",
    sourceVideoId: null,
    sourceUpload: null,
    sourceSeconds: null,
    ...fields,
  } as Extract<TaskEvent, { type: "VideoRequested" }>["data"],
});

const source = (fields: Partial<SourceVideo> = {}): SourceVideo => ({
  id: "video_src",
  accountId: "acct_1",
  deleted: false,
  status: "completed",
  requested: sora4,
  made: sora4,
  channelCanDo: true,
  ...fields,
});

const request = (fields: object = {}) => ({
  ...rich,
  type: "RequestVideo" as const,
  quote: quoteRequest(sora4, catalog, "acct_1"),
  inputReference: null,
  supported: true,
  operation: "text-to-video" as const,
  ...fields,
});

describe("task decider: RequestVideo", () => {
  it("records the request with its quote", () => spec.given([]).when(request()).thenEmits([requestedEvent()]));

  it("refuses what the spendable funds cannot cover (402 insufficient_quota)", () =>
    spec
      .given([])
      .when(request({ spendableMicros: price(sora4) - 1 }))
      .thenThrows(InsufficientFundsError, /exceeded your current quota/));

  it("accepts a quote exactly equal to the spendable funds", () =>
    spec
      .given([])
      .when(request({ spendableMicros: price(sora4) }))
      .thenEmits([requestedEvent()]));

  it("refuses a model whose channels cannot do it", () =>
    spec
      .given([])
      .when(request({ supported: false }))
      .thenThrows(UnsupportedOperationError, /does not support/));

  it("changes nothing when the same caller's request is already recorded (an Idempotency-Key retried)", () =>
    spec.given([requestedEvent()]).when(request()).thenNothingHappened());

  it("refuses another account's request on a recorded stream", () =>
    spec
      .given([requestedEvent()])
      .when(request({ accountId: "acct_2" }))
      .thenThrows(ConflictError));
});

describe("task decider: RemixVideo", () => {
  const remix = (video: SourceVideo | undefined, fields: object = {}) => ({
    ...rich,
    type: "RemixVideo" as const,
    source: { id: "video_src", video },
    catalog,
    ...fields,
  });

  it("records a remix priced as what the source made", () =>
    spec
      .given([])
      .when(remix(source()))
      .thenEmits([requestedEvent({ operation: "remix", remixedFromVideoId: "video_src" })]));

  it("answers an unknown source as not found", () =>
    spec
      .given([])
      .when(remix(undefined))
      .thenThrows(NotFoundError, /video_src/));

  it("answers another account's source as not found", () =>
    spec
      .given([])
      .when(remix(source({ accountId: "acct_2" })))
      .thenThrows(NotFoundError));

  it("answers a deleted source as not found", () =>
    spec
      .given([])
      .when(remix(source({ deleted: true })))
      .thenThrows(NotFoundError));

  it("refuses a source that is not completed", () =>
    spec
      .given([])
      .when(remix(source({ status: "in_progress" })))
      .thenThrows(InvalidFieldError, /not completed/));

  it("refuses a source made where remix cannot be done", () =>
    spec
      .given([])
      .when(remix(source({ channelCanDo: false })))
      .thenThrows(UnsupportedOperationError));

  it("refuses a remix the funds cannot cover", () =>
    spec
      .given([])
      .when(remix(source(), { spendableMicros: 0 }))
      .thenThrows(InsufficientFundsError));

  it("refuses a source made with parameters no longer offered", () =>
    spec
      .given([])
      .when(remix(source({ made: null, requested: { ...sora4, size: "1x1" } })))
      .thenThrows(InvalidFieldError, /no longer offered/));
});

describe("task decider: EditVideo and ExtendVideo", () => {
  const edit = (video: SourceVideo | undefined, fields: object = {}) => ({
    ...rich,
    type: "EditVideo" as const,
    source: { kind: "video" as const, id: "video_src", video },
    catalog,
    ...fields,
  });
  const extend = (video: SourceVideo | undefined, seconds: string, fields: object = {}) => ({
    ...rich,
    type: "ExtendVideo" as const,
    source: { kind: "video" as const, id: "video_src", video },
    seconds,
    catalog,
    ...fields,
  });
  const upload = { key: "inputs/acct_1/2026/01/video_new-source.mp4", contentType: "video/mp4", bytes: 10 };

  it("records an edit of the caller's completed video, priced as the source", () =>
    spec
      .given([])
      .when(edit(source()))
      .thenEmits([requestedEvent({ operation: "edit", sourceVideoId: "video_src" })]));

  it("refuses an edit of a source that is not completed", () =>
    spec
      .given([])
      .when(edit(source({ status: "queued" })))
      .thenThrows(InvalidFieldError, /not completed/));

  it("answers an edit of another account's video as not found", () =>
    spec
      .given([])
      .when(edit(source({ accountId: "acct_2" })))
      .thenThrows(NotFoundError));

  it("refuses an edit on a channel whose provider cannot edit (unsupported_operation, param video)", () =>
    spec
      .given([])
      .when(edit(source({ channelCanDo: false })))
      .thenThrows(UnsupportedOperationError, /cannot edit/));

  it("refuses an edit the funds cannot cover", () =>
    spec
      .given([])
      .when(edit(source(), { spendableMicros: 0 }))
      .thenThrows(InsufficientFundsError));

  it("records an edit of an uploaded file, priced as a create of the model's defaults", () => {
    const quote = quoteRequest({ model: "sora-2" }, catalog, "acct_1");
    return spec
      .given([])
      .when({ ...edit(undefined), source: { kind: "upload", upload, model: "sora-2", supported: true } })
      .thenEmits([
        requestedEvent({ ...quote.spec, quoteMicros: quote.quoteMicros, operation: "edit", sourceUpload: upload }),
      ]);
  });

  it("refuses an uploaded file no channel of the model can edit", () =>
    spec
      .given([])
      .when({ ...edit(undefined), source: { kind: "upload", upload, model: "sora-2", supported: false } })
      .thenThrows(UnsupportedOperationError));

  it("records an extension priced on the extension's seconds, carrying the source's seconds", () => {
    const long = { ...sora4, seconds: "8" };
    return spec
      .given([])
      .when(extend(source({ made: long, requested: long }), "4"))
      .thenEmits([requestedEvent({ operation: "extend", sourceVideoId: "video_src", sourceSeconds: "8" })]);
  });

  it("refuses extension seconds the catalog does not offer", () =>
    spec
      .given([])
      .when(extend(source(), "7"))
      .thenThrows(InvalidFieldError, /seconds/));

  it("a Veo extension adds 7 s, priced at the 720p rate; any other length is a 400 naming the allowed one", () => {
    const veo = { model: "veo-3.1", seconds: "8", size: "1280x720" };
    const added = { model: "veo-3.1", seconds: "7", size: "1280x720" };
    spec
      .given([])
      .when(extend(source({ made: veo, requested: veo }), "8"))
      .thenThrows(InvalidFieldError, /extension of a veo-3\.1 video at 1280x720\. Allowed: 7\./);
    return spec
      .given([])
      .when(extend(source({ made: veo, requested: veo }), "7"))
      .thenEmits([
        requestedEvent({
          ...added,
          quoteMicros: priceOf(added, catalog, "acct_1", { extension: true })!,
          operation: "extend",
          sourceVideoId: "video_src",
          sourceSeconds: "8",
        }),
      ]);
  });

  it("a 1080p Veo video cannot be extended (Veo extends 720p only): 400 unsupported_operation", () => {
    const veo1080 = { model: "veo-3.1", seconds: "8", size: "1920x1080" };
    return spec
      .given([])
      .when(extend(source({ made: veo1080, requested: veo1080 }), "7"))
      .thenThrows(UnsupportedOperationError, /veo-3\.1 at 1920x1080 cannot be extended/);
  });

  it("refuses an extension on a channel whose provider cannot extend", () =>
    spec
      .given([])
      .when(extend(source({ channelCanDo: false }), "4"))
      .thenThrows(UnsupportedOperationError, /cannot extend/));
});

describe("task decider: DeleteVideo", () => {
  const del = (accountId = "acct_1") => ({ type: "DeleteVideo" as const, videoId: "video_new", accountId, now });

  it("deletes the owner's video", () =>
    spec
      .given([requestedEvent()])
      .when(del())
      .thenEmits([
        { type: "VideoDeleted", data: { videoId: "video_new", accountId: "acct_1", deletedAt: createdAt } },
      ]));

  it("answers a video never requested as not found", () => spec.given([]).when(del()).thenThrows(NotFoundError));

  it("answers another account's video as not found", () =>
    spec.given([requestedEvent()]).when(del("acct_2")).thenThrows(NotFoundError));

  it("answers a deleted video as not found", () =>
    spec
      .given([
        requestedEvent(),
        { type: "VideoDeleted", data: { videoId: "video_new", accountId: "acct_1", deletedAt: createdAt } },
      ])
      .when(del())
      .thenThrows(NotFoundError));
});
