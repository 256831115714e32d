package arksave

import "errors"

// decodeCryoDino decodes the dino (and status component) stored in a
// cryopod's compressed byte arrays.
func decodeCryoDino(dino, status []byte) (Dino, error) {
	return Dino{}, errors.New("arksave: cryopod: not implemented")
}
