// Texts of the 'lifecycle' section (their own file, so work on it does not collide with the main catalog).
const lifecycleEn = {};

export type LifecycleText = typeof lifecycleEn;
export default lifecycleEn;
