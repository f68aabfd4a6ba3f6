// goldenpaths.js - (to be written)
import {h, title} from '../lib/dom.js';

export default {
	async render(ctx) {
		ctx.root.append(title('goldenpaths'), h('p', {}, 'Not written yet.'));
	},
};
