/**
 * A member that leaves a request unanswered for longer than {@code backupTimeout} is suspected, and the
 * suspicion is handed to JGroups' own exclusion machinery: the member that would coordinate without the
 * suspect has VERIFY_SUSPECT2 ask it, and GMS excludes it if it stays silent, exactly as a member that
 * failure detection suspected. A member that answers is kept. See docs/design.md, "A silent member".
 */
package org.sessiongrid.suspicion;
