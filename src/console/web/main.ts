import { route, setSignInScreen, start } from './app.js';
import { auditScreen, auditsScreen } from './screens/audits.js';
import { historyScreen } from './screens/history.js';
import { locationsScreen } from './screens/locations.js';
import { mappingsScreen } from './screens/mappings.js';
import { oktaScreen } from './screens/okta.js';
import { onboardScreen } from './screens/onboard.js';
import { overviewScreen } from './screens/overview.js';
import { signInScreen } from './screens/signin.js';
import { tenantsScreen } from './screens/tenants.js';
import { trainingScreen } from './screens/training.js';
import { troubleshootScreen } from './screens/troubleshoot.js';

/** The console's pages. Each one reads and changes data only through the admin REST API. */
setSignInScreen(signInScreen);
route('/console', tenantsScreen);
route('/console/new', onboardScreen);
route('/console/t/:slug', overviewScreen);
route('/console/t/:slug/okta', oktaScreen);
route('/console/t/:slug/mappings', mappingsScreen);
route('/console/t/:slug/locations', locationsScreen);
route('/console/t/:slug/training', trainingScreen);
route('/console/t/:slug/history', historyScreen);
route('/console/t/:slug/troubleshoot', troubleshootScreen);
route('/console/t/:slug/audits', auditsScreen);
route('/console/t/:slug/audits/:id', auditScreen);
void start();
