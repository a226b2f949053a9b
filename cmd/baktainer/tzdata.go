package main

// The plugin image is FROM scratch: embed the zone database so TZ works there.
import _ "time/tzdata"
