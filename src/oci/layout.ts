/** The `oci-layout` file every OCI image layout (directory or tar) starts with. */
export const OCI_LAYOUT_BYTES = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

/** The annotation naming an image in a layout's index.json: its reference or tag. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** containerd's annotation for the same: the full reference an image was pulled as. */
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";
