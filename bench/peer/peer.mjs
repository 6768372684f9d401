// The peer side of `make bench-peer`: all-MiniLM-L6-v2 as ONNX (f32 and int8) in transformers.js,
// one encoder forward (last hidden state) per figure, timed like BERT Lab's benchmark page: a
// warm-up at each length, then the mean of `reps` forwards. Everything is served from this folder:
// no remote models, onnxruntime-web's wasm from ./ort/, one wasm thread.

const params = new URLSearchParams(location.search);
const list = (key, fallback) => (params.get(key) ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);
const lens = list("lens", "16,64,128").map(Number);
const reps = Math.max(0, Number(params.get("reps") ?? 5) | 0);
const dtypes = list("dtypes", "fp32,q8");
const devices = list("devices", "wasm,webgpu");
const MODEL = "all-minilm-l6-v2";

const $ = (id) => document.getElementById(id);
const status = (text) => ($("peer-status").textContent = text);
let firstForward = null;

/** [CLS] + word ids + [SEP], exactly `n` tokens, as BigInt64 tensors of shape [1, n]. */
function inputs(Tensor, n) {
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(2000 + ((i * 37) % 5000));
  ids[0] = 101n;
  ids[n - 1] = 102n;
  const ones = new BigInt64Array(n).fill(1n);
  return {
    input_ids: new Tensor("int64", ids, [1, n]),
    attention_mask: new Tensor("int64", ones, [1, n]),
    token_type_ids: new Tensor("int64", new BigInt64Array(n), [1, n]),
  };
}

/** One forward, with its output on the CPU (as ours is read back), in ms. */
async function forward(model, feeds, n) {
  const start = performance.now();
  const { last_hidden_state: h } = await model(feeds);
  const t = h.ort_tensor ?? h;
  const data = t.location && t.location !== "cpu" ? await t.getData() : t.data;
  const ms = performance.now() - start;
  if (h.dims.join() !== `1,${n},384` || !Number.isFinite(data[0])) {
    throw new Error(`unexpected output ${h.dims} ${data[0]}`);
  }
  if (firstForward === null) {
    firstForward = performance.now();
    $("peer-first").dataset.ms = firstForward.toFixed(0);
    $("peer-first").textContent = `First forward done ${firstForward.toFixed(0)} ms after navigation started.`;
  }
  return ms;
}

function row(cells, data) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.insertCell().textContent = c;
  Object.assign(tr.dataset, data);
  $("peer-table").tBodies[0].append(tr);
}

async function adapterInfo() {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") || "unnamed";
  const software = Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(name));
  return { name, software };
}

async function main() {
  const { env, AutoModel, Tensor } = await import("./transformers.min.js");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL("models/", location.href).href;
  const ort = new URL("ort/", location.href).href;
  env.backends.onnx.wasm.wasmPaths = {
    mjs: ort + "ort-wasm-simd-threaded.asyncify.mjs",
    wasm: ort + "ort-wasm-simd-threaded.asyncify.wasm",
  };
  // Without cross-origin isolation there are no wasm threads anyway; say so explicitly.
  env.backends.onnx.wasm.numThreads = 1;

  const adapter = devices.includes("webgpu") ? await adapterInfo() : null;
  $("peer-adapter").textContent = adapter
    ? `WebGPU adapter: ${adapter.name}${adapter.software ? " (software: its timings show the path works, not GPU speed)" : ""}.`
    : "No WebGPU adapter: only wasm was timed.";
  Object.assign($("peer-adapter").dataset, adapter ? { name: adapter.name, software: adapter.software } : {});

  const runs = [];
  for (const device of devices) {
    if (device === "webgpu" && !adapter) continue;
    // fp32 only on WebGPU: the int8 file's weights are dequantized to f32 anyway
    for (const dtype of device === "webgpu" ? dtypes.filter((d) => d === "fp32") : dtypes) runs.push([device, dtype]);
  }
  for (const [device, dtype] of runs) {
    status(`Loading ${dtype} on ${device}…`);
    let model;
    const loadStart = performance.now();
    try {
      model = await AutoModel.from_pretrained(MODEL, { device, dtype });
    } catch (e) {
      row([device, dtype, "-", "failed", String(e), ""], { device, dtype, error: String(e) });
      continue;
    }
    const load = performance.now() - loadStart;
    for (const n of lens) {
      status(`Timing ${dtype} on ${device}, ${n} tokens…`);
      try {
        const feeds = inputs(Tensor, n);
        const first = await forward(model, feeds, n);
        const times = [];
        for (let i = 0; i < reps; i++) times.push(await forward(model, feeds, n));
        const sorted = [...times].sort((a, b) => a - b);
        const mean = times.length ? times.reduce((a, b) => a + b, 0) / times.length : first;
        const median = times.length ? (sorted[(times.length - 1) >> 1] + sorted[times.length >> 1]) / 2 : first;
        row([device, dtype, n, load.toFixed(0), mean.toFixed(1), median.toFixed(1)], {
          device, dtype, tokens: n, load: load.toFixed(1), mean: mean.toFixed(2), median: median.toFixed(2),
        });
      } catch (e) {
        row([device, dtype, n, load.toFixed(0), "failed", String(e)], { device, dtype, tokens: n, error: String(e) });
      }
    }
    await model.dispose?.();
  }
}

main()
  .then(() => status("Done."))
  .catch((e) => {
    status(`Failed: ${e}`);
    $("peer-table").dataset.error = String(e);
  })
  .finally(() => ($("peer-table").dataset.done = "true"));
