/** ParamScope's version, as package.json says (test/unit/convertPlan.test.ts checks they agree); written into converted files' metadata. */
export const PARAMSCOPE_VERSION = '0.1.0';
