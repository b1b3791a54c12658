// Package imageproc prepares images the way pretrained vision models expect them: the
// same bytes and floats as the PyTorch pipelines they were trained and published with
// (PIL 9.4 + torchvision 0.14, Hugging Face image processors, timm, OpenAI CLIP), so
// that logits computed from its output match PyTorch's on the same file.
//
// The pipeline is Decode (by content: PNG, JPEG, GIF, BMP, WebP) -> ToRGB (PIL's
// img.convert("RGB")) -> Resize (a port of PIL's ImagingResample: the same output
// bytes) -> CenterCrop (torchvision's or Hugging Face's offsets) -> ToFloat
// ((x*rescale - mean) / std in float32, [H, W, 3]). A Config, read from a model's
// files (LoadDir, ParseHFConfig, FromTimmConfig, CLIPConfig), runs them all with Apply.
//
// TestPILParity checks every step against PIL, numpy and torchvision on files it
// writes: resizes (all six filters, up and down, odd sizes) and whole pipelines are
// byte- and bit-exact for PNG, GIF, BMP and WebP inputs, and JPEG's chroma upsampling
// and colour conversion are libjpeg-turbo's. What is not exact:
//   - JPEG photographs: Go's image/jpeg and libjpeg-turbo invert the DCT differently,
//     by at most 3 levels on about 3% of the bytes (0.044 after CLIP's normalisation);
//   - GIF transparency: Go's decoder blanks the transparent palette entry (black here);
//   - under OpenAI CLIP's order (conversion after the crop) 16-bit grey and 1-bit
//     images, and RGB/grey PNGs with a tRNS colour, are converted first.
//
// The package imports no graph code; it is plain Go.
package imageproc
