/** The `oci-layout` file every OCI image layout (directory or tar) starts with. */
export const OCI_LAYOUT_BYTES = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
