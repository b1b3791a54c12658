package flickr8k

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Captions is a parsed captions.txt.
type Captions struct {
	Images  []string            // image file names, in order of first appearance
	ByImage map[string][]string // the captions of each image, in file order
	// Records is the number of data records read (header and blank lines excluded).
	Records int
	// InvalidUTF8 counts records skipped because the image name or the caption is not
	// valid UTF-8.
	InvalidUTF8 int
	// BadRecords counts records skipped for another reason: no caption field, an empty
	// caption, or an image name that is empty or holds a path separator.
	BadRecords int
}

// NumCaptions returns the number of captions kept.
func (c *Captions) NumCaptions() int {
	n := 0
	for _, caps := range c.ByImage {
		n += len(caps)
	}
	return n
}

// ReadCaptions parses the captions file at path (see ParseCaptions).
func ReadCaptions(path string) (*Captions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flickr8k: %w", err)
	}
	defer f.Close()
	return ParseCaptions(f, path)
}

// ParseCaptions reads Flickr8k's captions.txt: a required "image,caption" header, then
// one record per caption, `1000268201_693b08cb0e.jpg,A child in a pink dress ...`. It
// follows CSV rules (quoted fields with commas, CRLF line endings, blank lines skipped,
// a UTF-8 byte order mark ignored); an unquoted caption with commas is kept whole,
// since image names hold no comma. Records that cannot be used are skipped and counted.
// name is the file name used in errors.
func ParseCaptions(r io.Reader, name string) (*Captions, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // Flickr8k captions hold stray quotes: `a "cool" dog`
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("flickr8k: %s: empty file, want an \"image,caption\" header and captions", name)
	}
	if err != nil {
		return nil, fmt.Errorf("flickr8k: %s: %s", name, oneLine(err))
	}
	if err := checkHeader(header); err != nil {
		return nil, fmt.Errorf("flickr8k: %s: %w", name, err)
	}
	c := &Captions{ByImage: map[string][]string{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("flickr8k: %s: %s", name, oneLine(err))
		}
		c.Records++
		if len(rec) < 2 {
			c.BadRecords++
			continue
		}
		img := strings.TrimSpace(rec[0])
		caption := strings.TrimSpace(strings.Join(rec[1:], ","))
		switch {
		case !utf8.ValidString(img) || !utf8.ValidString(caption):
			c.InvalidUTF8++
			continue
		case !validImageName(img) || caption == "":
			c.BadRecords++
			continue
		}
		if _, seen := c.ByImage[img]; !seen {
			c.Images = append(c.Images, img)
		}
		c.ByImage[img] = append(c.ByImage[img], caption)
	}
	if len(c.Images) == 0 {
		return nil, fmt.Errorf("flickr8k: %s: no captions (%d records, %d not valid UTF-8, %d malformed)", name, c.Records, c.InvalidUTF8, c.BadRecords)
	}
	return c, nil
}

// checkHeader accepts "image,caption" (any case, spaces around the names).
func checkHeader(h []string) error {
	if len(h) == 2 && strings.EqualFold(strings.TrimSpace(h[0]), "image") && strings.EqualFold(strings.TrimSpace(h[1]), "caption") {
		return nil
	}
	line := quote(strings.Join(h, ","))
	if len(h) >= 2 && validImageName(strings.TrimSpace(h[0])) && strings.Contains(strings.ToLower(h[0]), ".jpg") {
		return fmt.Errorf("no header: the first line is data (%s), want the header \"image,caption\"", line)
	}
	return fmt.Errorf("header %s, want \"image,caption\"", line)
}

// validImageName refuses names that would leave the images directory.
func validImageName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}

// quote shortens and quotes a line for an error message.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// oneLine formats a CSV error on one line, with its line number.
func oneLine(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
