import { type DragEvent, type FormEvent, useEffect, useMemo, useState } from "react";
import {
  type Account,
  ApiFailure,
  call,
  get,
  type Model,
  microsOf,
  type Page,
  type Session,
  usd,
  type Video,
} from "../api.ts";
import { go } from "../route.ts";
import { Failure, FieldError } from "../ui.tsx";

const fits = [
  ["cover", "Cover: scale and centre-crop (default)"],
  ["contain", "Contain: scale and pad"],
  ["none", "None: as it is"],
] as const;

/** Fields the API may name in an error's `param`; anything else is shown above the button. */
const fields = ["model", "size", "seconds", "prompt", "input_reference", "input_fit"] as const;
type Field = (typeof fields)[number];

export const GeneratePage = ({ session }: { session: Session }) => {
  const [models, setModels] = useState<Model[]>([]);
  const [account, setAccount] = useState<Account | null>(null);
  const [model, setModel] = useState("");
  const [size, setSize] = useState("");
  const [seconds, setSeconds] = useState("");
  const [prompt, setPrompt] = useState("");
  const [image, setImage] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [fit, setFit] = useState("cover");
  const [dragging, setDragging] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field | "price", string>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<Page<Model>>(session, "/v1/models")
      .then((page) => {
        setModels(page.data);
        const first = page.data[0];
        if (first) {
          setModel(first.id);
          setSize(first.sizes[0] ?? "");
          setSeconds(first.seconds[0] ?? "");
        }
      })
      .catch(setFailure);
    get<Account>(session, "/v1/account").then(setAccount).catch(setFailure);
  }, [session]);

  useEffect(() => {
    if (!image) return setPreview(null);
    const url = URL.createObjectURL(image);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [image]);

  const chosen = models.find((candidate) => candidate.id === model);
  const price = chosen?.prices.find((offer) => offer.size === size && offer.seconds === seconds);
  const available = account ? microsOf(account.balance_usd) - microsOf(account.reserved_usd) : null;
  const short = price && available !== null && microsOf(price.price_usd) > available;

  const pickModel = (id: string) => {
    const next = models.find((candidate) => candidate.id === id);
    setModel(id);
    if (next && !next.sizes.includes(size)) setSize(next.sizes[0] ?? "");
    if (next && !next.seconds.includes(seconds)) setSeconds(next.seconds[0] ?? "");
  };
  const sizesOffered = useMemo(
    () => [...new Set(chosen?.prices.filter((offer) => offer.seconds === seconds).map((offer) => offer.size))],
    [chosen, seconds],
  );

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) setImage(file);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    const form = new FormData();
    form.set("model", model);
    form.set("prompt", prompt);
    form.set("size", size);
    form.set("seconds", seconds);
    if (image) {
      form.set("input_reference", image, image.name);
      // Sent only when it differs from the API's default, so an API without input_fit still takes the rest.
      if (fit !== "cover") form.set("input_fit", fit);
    }
    try {
      const created = await call<Video>(session, "POST", "/v1/videos", form);
      go(`/videos/${encodeURIComponent(created.body.id)}`);
    } catch (error) {
      // Any refusal that names a field (400, 402, 413, 415…) is shown beside it.
      if (error instanceof ApiFailure && error.status >= 400 && error.status < 500 && error.status !== 401) {
        const param = fields.find((field) => error.param === field || error.param?.startsWith(`${field}[`));
        if (param) setErrors({ [param]: error.message });
        else if (error.status === 402) setErrors({ price: error.message });
        else setFailure(error);
      } else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const described = (field: Field | "price") => (errors[field] ? `${field}-error` : undefined);
  return (
    <form className="card" onSubmit={submit} aria-labelledby="generate-title">
      <h1 id="generate-title">Generate a video</h1>
      <div className="grid">
        <div>
          <label htmlFor="model">Model</label>
          <select
            id="model"
            value={model}
            onChange={(event) => pickModel(event.target.value)}
            aria-describedby={described("model")}
          >
            {models.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.id} — from {usd(Math.min(...candidate.prices.map((offer) => microsOf(offer.price_usd))))}
              </option>
            ))}
          </select>
          <FieldError id="model-error" error={errors.model} />
        </div>
        <div>
          <label htmlFor="seconds">Seconds</label>
          <select
            id="seconds"
            value={seconds}
            onChange={(event) => setSeconds(event.target.value)}
            aria-describedby={described("seconds")}
          >
            {chosen?.seconds.map((value) => (
              <option key={value} value={value}>
                {value} s
              </option>
            ))}
          </select>
          <FieldError id="seconds-error" error={errors.seconds} />
        </div>
        <div>
          <label htmlFor="size">Size</label>
          <select
            id="size"
            value={size}
            onChange={(event) => setSize(event.target.value)}
            aria-describedby={described("size")}
          >
            {chosen?.sizes.map((value) => (
              <option key={value} value={value} disabled={!sizesOffered.includes(value)}>
                {value}
              </option>
            ))}
          </select>
          <FieldError id="size-error" error={errors.size} />
        </div>
      </div>

      <label htmlFor="prompt">Prompt</label>
      <textarea
        id="prompt"
        required
        rows={4}
        value={prompt}
        onChange={(event) => setPrompt(event.target.value)}
        aria-invalid={errors.prompt ? true : undefined}
        aria-describedby={described("prompt")}
      />
      <FieldError id="prompt-error" error={errors.prompt} />

      <fieldset>
        <legend>Reference image (optional): the first frame</legend>
        {/* The label is the drop zone too: a click opens the picker, a drop takes the file. */}
        <label
          htmlFor="input_reference"
          className={`drop ${dragging ? "drop-over" : ""}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          {preview ? (
            <img className="preview" src={preview} alt={`Preview of ${image?.name ?? "the reference image"}`} />
          ) : (
            <span>Drop an image here, or choose one</span>
          )}
        </label>
        <input
          id="input_reference"
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(event) => setImage(event.target.files?.[0] ?? null)}
          aria-describedby={described("input_reference")}
        />
        {image && (
          <button type="button" className="quiet" onClick={() => setImage(null)}>
            Remove image
          </button>
        )}
        <FieldError id="input_reference-error" error={errors.input_reference} />
        <label htmlFor="input_fit">When the image's size differs from the video's</label>
        <select
          id="input_fit"
          value={fit}
          disabled={!image}
          onChange={(event) => setFit(event.target.value)}
          aria-describedby={described("input_fit")}
        >
          {fits.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <FieldError id="input_fit-error" error={errors.input_fit} />
      </fieldset>

      <div className="price-bar" aria-live="polite">
        <p>
          Price <strong data-testid="price">{price ? usd(microsOf(price.price_usd)) : "—"}</strong>
        </p>
        <p>
          Available{" "}
          <strong data-testid="available" className={short ? "short" : undefined}>
            {available === null ? "—" : usd(available)}
          </strong>
        </p>
        <button type="submit" disabled={busy || !price} aria-describedby={described("price")}>
          {busy ? "Sending…" : "Generate"}
        </button>
      </div>
      <FieldError id="price-error" error={errors.price ?? (short ? "The balance does not cover this price." : null)} />
      <Failure error={failure} />
    </form>
  );
};
