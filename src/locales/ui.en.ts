// Texts of the 'ui' section (their own file, so work on it does not collide with the main catalog).
const uiEn = {};

export type UiText = typeof uiEn;
export default uiEn;
