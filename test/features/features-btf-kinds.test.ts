// The BTF kind feature table (src/features/btf-kinds.ts): each feature's probe
// against the running kernel, and the minimum kernel each one names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BTF_FEATURES, btfFeatureProbe, btfFeatureRequirement, missingBtfFeatures, probeBtfSupport, type BtfFeature } from "../../src/features/btf-kinds.js";
import { Btf } from "../../src/btf/btf.js";

/** "6.18.0-…" → [6, 18]. */
function version(release: string): [number, number] {
  const [major, minor] = release.split(".").map((p) => Number.parseInt(p, 10));
  return [major!, minor!];
}

test("every BTF feature this kernel's version should have is probed as supported", () => {
  const [major, minor] = version(readFileSync("/proc/sys/kernel/osrelease", "utf8"));
  const support = probeBtfSupport();
  for (const f of BTF_FEATURES) {
    const [M, m] = version(f.minKernel);
    if (major > M || (major === M && minor >= m)) assert.equal(support[f.feature], true, `${f.feature}: ${btfFeatureRequirement(f.feature)}`);
  }
  assert.deepEqual(new Set(Object.keys(support)), new Set(BTF_FEATURES.map((f) => f.feature)), "one probe per table row");
});

test("each probe blob is valid BTF that uses its feature's kind", () => {
  const kindOf: Record<BtfFeature, string> = {
    func: "FUNC", globalFunc: "FUNC", datasec: "DATASEC", qmarkDatasec: "DATASEC", float: "FLOAT", declTag: "DECL_TAG", typeTag: "TYPE_TAG", enum64: "ENUM64",
  };
  for (const f of BTF_FEATURES) {
    const btf = new Btf(btfFeatureProbe(f.feature));
    assert.ok([...btf].some((t) => t.kind === kindOf[f.feature]), f.feature);
  }
});

test("diagnostics name the kernel a feature needs", () => {
  assert.equal(btfFeatureRequirement("float"), "BTF_KIND_FLOAT needs Linux 5.13");
  assert.match(btfFeatureRequirement("enum64"), /^BTF_KIND_ENUM64 .*needs Linux 6\.0$/);
  const all = probeBtfSupport();
  assert.deepEqual(missingBtfFeatures({ ...all, typeTag: false, enum64: false }), [btfFeatureRequirement("typeTag"), btfFeatureRequirement("enum64")]);
});
