package shapeworld

import "fmt"

// Shape is the kind of an object.
type Shape int

// The shapes of the world, in label order.
const (
	Circle Shape = iota
	Square
	Triangle
	Star
	Cross
	Diamond
	Hexagon
	NumShapes int = iota
)

// ShapeNames are the caption words of the shapes, indexed by Shape.
var ShapeNames = [NumShapes]string{"circle", "square", "triangle", "star", "cross", "diamond", "hexagon"}

// String returns the shape's caption word.
func (s Shape) String() string {
	if s < 0 || int(s) >= NumShapes {
		return fmt.Sprintf("shape(%d)", int(s))
	}
	return ShapeNames[s]
}

// Plural returns the plural of the shape's word ("crosses").
func (s Shape) Plural() string {
	if s == Cross {
		return "crosses"
	}
	return s.String() + "s"
}

// Colour is the named colour of an object.
type Colour int

// The colours of the world, in label order. Red/orange, blue/purple and green/cyan are
// close on purpose: telling them apart is part of the task.
const (
	Red Colour = iota
	Orange
	Yellow
	Green
	Cyan
	Blue
	Purple
	White
	NumColours int = iota
)

// ColourNames are the caption words of the colours, indexed by Colour.
var ColourNames = [NumColours]string{"red", "orange", "yellow", "green", "cyan", "blue", "purple", "white"}

// ColourRGB are the nominal RGB values of the colours; each object is drawn with a small
// random jitter around its colour (Config.ColourJitter).
var ColourRGB = [NumColours][3]uint8{
	{215, 45, 40},   // red
	{235, 125, 35},  // orange: 80 from red in green
	{230, 215, 60},  // yellow
	{60, 170, 70},   // green
	{55, 190, 190},  // cyan: close to green in red and green
	{50, 90, 225},   // blue
	{135, 70, 205},  // purple: close to blue
	{235, 235, 235}, // white
}

// String returns the colour's caption word.
func (c Colour) String() string {
	if c < 0 || int(c) >= NumColours {
		return fmt.Sprintf("colour(%d)", int(c))
	}
	return ColourNames[c]
}

// NumClasses is the number of colour-shape classes (the single-object labels).
const NumClasses = NumColours * NumShapes

// Class returns the colour-shape class index, colour*NumShapes + shape.
func Class(c Colour, s Shape) int { return int(c)*NumShapes + int(s) }

// ClassOf returns the colour and shape of a class index.
func ClassOf(class int) (Colour, Shape) {
	return Colour(class / NumShapes), Shape(class % NumShapes)
}

// ClassNames returns the names of the classes ("red circle"), indexed by class.
func ClassNames() []string {
	names := make([]string, NumClasses)
	for c := range NumColours {
		for s := range NumShapes {
			names[Class(Colour(c), Shape(s))] = ColourNames[c] + " " + ShapeNames[s]
		}
	}
	return names
}

// ParseClass returns the class of a "colour shape" name, or an error.
func ParseClass(name string) (int, error) {
	for c := range NumColours {
		for s := range NumShapes {
			if ColourNames[c]+" "+ShapeNames[s] == name {
				return Class(Colour(c), Shape(s)), nil
			}
		}
	}
	return 0, fmt.Errorf("shapes: %q is not a colour-shape pair (want e.g. \"red star\")", name)
}

// PositionNames are the answers to "where is ...?", indexed by row*3+col of the 3x3 grid
// (row 0 = top, col 0 = left).
var PositionNames = [9]string{
	"top left", "top", "top right",
	"left", "center", "right",
	"bottom left", "bottom", "bottom right",
}

// positionPhrases are the caption phrases of the grid cells, indexed like PositionNames.
var positionPhrases = [9]string{
	"at the top left", "at the top", "at the top right",
	"on the left", "in the center", "on the right",
	"at the bottom left", "at the bottom", "at the bottom right",
}

// countWords spell the numbers 0..3 (counts and their answers).
var countWords = [4]string{"zero", "one", "two", "three"}
