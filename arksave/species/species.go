// Package species is the one table of ARK creature names: the species
// players know a blueprint class by ("Argent_Character_BP_C" → "Argentavis").
// It is a leaf (standard library only) so the decoder's callers, the report
// parser and the bots all name creatures the same way.
package species

import (
	"path"
	"strings"
)

// species maps the stem of a creature class (the short class without
// "_Character_BP…_C") to the name players know it by. Only stems that do
// not already read as the species are listed; Name falls back to
// the stem.
var table = map[string]string{
	"Allo":           "Allosaurus",
	"Ankylo":         "Ankylosaurus",
	"Ant":            "Titanomyrma",
	"Argent":         "Argentavis",
	"Arthro":         "Arthropluera",
	"Bat":            "Onyc",
	"Beaver":         "Castoroides",
	"Bigfoot":        "Gigantopithecus",
	"BoaFrill":       "Titanoboa",
	"Bronto":         "Brontosaurus",
	"Camelsaurus":    "Morellatops",
	"Carno":          "Carnotaurus",
	"Cavewolf":       "Ravager",
	"Chalico":        "Chalicotherium",
	"Coel":           "Coelacanth",
	"Compy":          "Compsognathus",
	"Crab":           "Karkinos",
	"Dilo":           "Dilophosaur",
	"Dimetro":        "Dimetrodon",
	"Dimorph":        "Dimorphodon",
	"Diplo":          "Diplodocus",
	"Direbear":       "Dire Bear",
	"Doed":           "Doedicurus",
	"Dragonfly":      "Meganeura",
	"Dunkle":         "Dunkleosteus",
	"Eel":            "Electrophorus",
	"Euryp":          "Eurypterid",
	"Galli":          "Gallimimus",
	"Gigant":         "Giganotosaurus",
	"Kentro":         "Kentrosaurus",
	"LanternBird":    "Featherlight",
	"LanternGoat":    "Shinehorn",
	"LanternLizard":  "Glowtail",
	"LanternPug":     "Bulbdog",
	"Lystro":         "Lystrosaurus",
	"Monkey":         "Mesopithecus",
	"Mosa":           "Mosasaurus",
	"Moth":           "Lymantria",
	"Owl":            "Snow Owl",
	"Pachy":          "Pachycephalosaurus",
	"Pachyrhino":     "Pachyrhinosaurus",
	"Para":           "Parasaur",
	"Paracer":        "Paraceratherium",
	"Pela":           "Pelagornis",
	"Piranha":        "Megapiranha",
	"Ptero":          "Pteranodon",
	"Quetz":          "Quetzal",
	"Rhino":          "Woolly Rhino",
	"RockDrake":      "Rock Drake",
	"Scorpion":       "Pulmonoscorpius",
	"Spider":         "Araneo",
	"Spino":          "Spinosaurus",
	"Stego":          "Stegosaurus",
	"TerrorBird":     "Terror Bird",
	"Therizino":      "Therizinosaur",
	"Thyla":          "Thylacoleo",
	"Toad":           "Beelzebufo",
	"Trike":          "Triceratops",
	"Turtle":         "Carbonemys",
	"Carcha":         "Carcharodontosaurus",
	"Xenomorph":      "Reaper",
	"Dolphin":        "Ichthyosaurus",
	"Quetzalcoatlus": "Quetzal",
	"Stag":           "Megaloceros",
	"SpineyLizard":   "Thorny Dragon",
	"Golem":          "Rock Elemental",
	"GasBag":         "Gasbags",
}

// Name returns the species players know a creature class by:
// "Para_Character_BP_C" → "Parasaur", "Rex_Character_BP_TEK_C" → "Rex (TEK)".
// Classes not in the table read as their stem with spaces
// ("Mystery_Beast_Character_BP_C" → "Mystery Beast"); "" stays "".
func Name(class string) string {
	if class == "" {
		return ""
	}
	c := shortClass(class)
	c = strings.TrimSuffix(c, "_C")
	stem, variant := c, ""
	if i := strings.Index(c, "_Character"); i > 0 {
		stem, variant = c[:i], c[i+len("_Character"):]
		variant = strings.TrimPrefix(variant, "_BP")
		variant = strings.Trim(strings.ReplaceAll(variant, "_", " "), " ")
	}
	name, ok := table[stem]
	if !ok {
		name = strings.Trim(strings.ReplaceAll(stem, "_", " "), " ")
	}
	if variant != "" {
		name += " (" + variant + ")"
	}
	return name
}

// shortClass strips a blueprint path to its class
// ("/Game/…/Para_Character_BP.Para_Character_BP_C" → "Para_Character_BP_C").
func shortClass(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return path.Base(class)
}
