// Texts of the 'portability' section (their own file, so work on it does not collide with the main catalog).
const portabilityEn = {};

export type PortabilityText = typeof portabilityEn;
export default portabilityEn;
