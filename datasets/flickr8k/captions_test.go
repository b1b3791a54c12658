package flickr8k

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCaptions(t *testing.T) {
	in := "\xef\xbb\xbfimage,caption\r\n" +
		"1000268201_693b08cb0e.jpg,A child in a pink dress is climbing up a set of stairs in an entry way .\r\n" +
		"\r\n" +
		"1000268201_693b08cb0e.jpg,\"A girl, in pink, climbs .\"\r\n" +
		"1001773457_577c3a7d70.jpg,Two dogs , one black , play .\n" +
		"1001773457_577c3a7d70.jpg,A \"cool\" dog .\r\n" +
		"1001773457_577c3a7d70.jpg,   \r\n" + // empty caption
		"1001773457_577c3a7d70.jpg,bad \xff byte\r\n" + // not UTF-8
		"../etc/passwd,escape\r\n" + // path in the name
		"lonely\r\n" + // no caption field
		"1002674143_1b742ab4b8.jpg,\"A caption\nover two lines .\"\r\n"
	c, err := ParseCaptions(strings.NewReader(in), "captions.txt")
	if err != nil {
		t.Fatal(err)
	}
	wantImages := []string{"1000268201_693b08cb0e.jpg", "1001773457_577c3a7d70.jpg", "1002674143_1b742ab4b8.jpg"}
	if !slices.Equal(c.Images, wantImages) {
		t.Errorf("Images = %q, want %q", c.Images, wantImages)
	}
	want := map[string][]string{
		wantImages[0]: {"A child in a pink dress is climbing up a set of stairs in an entry way .", "A girl, in pink, climbs ."},
		wantImages[1]: {"Two dogs , one black , play .", `A "cool" dog .`},
		wantImages[2]: {"A caption\nover two lines ."},
	}
	for img, caps := range want {
		if !slices.Equal(c.ByImage[img], caps) {
			t.Errorf("captions of %s = %q, want %q", img, c.ByImage[img], caps)
		}
	}
	if c.Records != 9 || c.InvalidUTF8 != 1 || c.BadRecords != 3 || c.NumCaptions() != 5 {
		t.Errorf("records %d, invalid UTF-8 %d, bad %d, captions %d; want 9, 1, 3, 5", c.Records, c.InvalidUTF8, c.BadRecords, c.NumCaptions())
	}
}

func TestParseCaptionsErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"blank lines", "\r\n\n\r\n", "empty file"},
		{"bom only", "\xef\xbb\xbf", "empty file"},
		{"header only", "image,caption\r\n", "no captions"},
		{"no header", "1000268201_693b08cb0e.jpg,A child .\n1000268201_693b08cb0e.jpg,A girl .\n", "no header: the first line is data"},
		{"unknown header", "file,text\nx.jpg,a dog\n", `header "file,text", want "image,caption"`},
		{"three columns", "image,caption,extra\nx.jpg,a,b\n", "want \"image,caption\""},
		{"one column", "image\nx.jpg\n", "want \"image,caption\""},
		{"only bad records", "image,caption\nx.jpg,\xff\xfe\ny.jpg,\n", "no captions (2 records, 1 not valid UTF-8, 1 malformed)"},
	} {
		_, err := ParseCaptions(strings.NewReader(tc.in), "/data/captions.txt")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/data/captions.txt") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming the file and containing %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseCaptions(f *testing.F) {
	f.Add("image,caption\r\nx.jpg,\"a, b\"\r\n\r\ny.jpg,c\n")
	f.Add("\xef\xbb\xbfimage,caption\nx.jpg,a \"q\" b\n")
	f.Add("image,caption\nx.jpg,\xff\n")
	f.Add("x.jpg,no header\n")
	f.Add("image,caption\n\"unterminated,quote\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCaptions(strings.NewReader(in), "captions.txt")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
			return
		}
		if len(c.Images) == 0 || len(c.Images) != len(c.ByImage) {
			t.Fatalf("%d images, %d in ByImage", len(c.Images), len(c.ByImage))
		}
		n := 0
		for _, img := range c.Images {
			if !validImageName(img) || !utf8.ValidString(img) {
				t.Fatalf("image name %q", img)
			}
			for _, cap := range c.ByImage[img] {
				if cap == "" || !utf8.ValidString(cap) || cap != strings.TrimSpace(cap) {
					t.Fatalf("caption %q", cap)
				}
				n++
			}
		}
		if n+c.InvalidUTF8+c.BadRecords != c.Records {
			t.Fatalf("%d captions + %d invalid + %d bad != %d records", n, c.InvalidUTF8, c.BadRecords, c.Records)
		}
	})
}
