// Scenario layer surface: building runnable simulations from descriptions.

export { buildCounterDemo, type CounterDemoOptions, DEFAULT_COUNTER_DEMO } from "./demo.js";
