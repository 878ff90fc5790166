/** The API version reported by health endpoints; bumped with releases. */
export const version = "0.1.0";
