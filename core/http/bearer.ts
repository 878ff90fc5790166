/**
 * RFC 6750 §2.1's `b64token`, what `Authorization: Bearer <token>` carries:
 * `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. The API reads presented tokens with
 * it, and the configuration checks the bearer secrets it is given against it.
 */
export const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;
