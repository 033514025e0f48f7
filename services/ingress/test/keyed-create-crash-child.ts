// A keyed create in an ingress that is SIGKILLed right after it appended the VideoRequested: before its
// inline view write and before it answered or marked the key done. Run by keyed-create-crash.int.test.ts.
import { inProcessIngress } from "./in-process-ingress.ts";

const [dir, key] = process.argv.slice(2);
const ingress = await inProcessIngress(dir!, { onAppended: () => void process.kill(process.pid, "SIGKILL") });
await ingress.create({ prompt: "cut by a crash" }, { "idempotency-key": key! });
// Not reached: the process died inside the create.
process.exit(3);
