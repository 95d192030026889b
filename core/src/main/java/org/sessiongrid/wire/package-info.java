/**
 * The binary wire format between grid members: versioned, length-checked messages encoded by hand
 * (never Java serialization of protocol objects), and the decoder that rejects anything malformed.
 */
package org.sessiongrid.wire;
