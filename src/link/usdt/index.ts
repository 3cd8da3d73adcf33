// USDT: what the rest of the library sees of src/link/usdt/.
export { attachUsdt, usdtOfSection, type UsdtOptions, type UsdtSection } from "./attach.js";
export { usdtNotes, type UsdtNote } from "./notes.js";
export { UsdtArgumentError } from "./errors.js";
