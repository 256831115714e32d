package app

import "context"

// wire builds the components (bots, jobs, clients) once storage is open and
// registers their services and health sources.
func (a *appliance) wire(ctx context.Context) error {
	return nil
}
