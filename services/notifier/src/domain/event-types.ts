import { type WebhookEventType, webhookEventTypes } from "@reelgate/contracts";
import { NotifierRuleError } from "./rule-error.ts";

export const servedEventTypes = webhookEventTypes;
export type ServedEventType = WebhookEventType;

const isServed = (type: string): type is ServedEventType => (servedEventTypes as readonly string[]).includes(type);

/** The event types as given, or a 400 naming the first one Reelgate does not send. */
export const checkEventTypes = (types: string[], param: string): ServedEventType[] => {
  if (types.length === 0)
    throw new NotifierRuleError("must name at least one event type", "invalid", { code: "invalid_value", param });
  for (const type of types) {
    if (!isServed(type))
      throw new NotifierRuleError(
        `'${type}' is not an event type this gateway sends (it sends ${servedEventTypes.join(", ")})`,
        "invalid",
        { code: "invalid_value", param },
      );
  }
  return [...new Set(types)] as ServedEventType[];
};
