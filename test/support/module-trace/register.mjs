// `node --import tsx --import ./register.mjs`: traces every resolved module into $MODULE_TRACE_LOG.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url, { data: { logPath: process.env.MODULE_TRACE_LOG } });
