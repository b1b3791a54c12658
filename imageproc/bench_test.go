package imageproc

import (
	"testing"
)

// benchJPEG is a 500x375 photograph-like JPEG (Flickr8k's typical size), 4:2:0.
func benchJPEG(b *testing.B) []byte {
	return encodeJPEG(b, photo(500, 375, 1), 90)
}

// BenchmarkApplyCLIP reports images/s for the whole OpenAI CLIP preprocessing of a
// 500x375 JPEG on one core: decode, convert, resize to 298x224 (bicubic), crop 224,
// normalise.
//
//	go test -run XXX -bench ApplyCLIP -cpu 1 ./imageproc
func BenchmarkApplyCLIP(b *testing.B) {
	data := benchJPEG(b)
	c := CLIPConfig(224)
	for b.Loop() {
		img, err := DecodeBytes("bench.jpg", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := c.Apply(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkDecodeJPEG is the decoding share of BenchmarkApplyCLIP (Go's image/jpeg).
func BenchmarkDecodeJPEG(b *testing.B) {
	data := benchJPEG(b)
	for b.Loop() {
		if _, err := DecodeBytes("bench.jpg", data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkToRGB is the colour conversion share (libjpeg's fancy upsampling).
func BenchmarkToRGB(b *testing.B) {
	img, err := DecodeBytes("bench.jpg", benchJPEG(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ToRGB(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkResizeCLIP is the resize share: 500x375 -> 298x224, bicubic.
func BenchmarkResizeCLIP(b *testing.B) {
	img, err := DecodeBytes("bench.jpg", benchJPEG(b))
	if err != nil {
		b.Fatal(err)
	}
	rgb, err := ToRGB(img)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Resize(rgb, 298, 224, Bicubic); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
