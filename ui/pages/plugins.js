// plugins.js - (to be written)
import {h, title} from '../lib/dom.js';

export default {
	async render(ctx) {
		ctx.root.append(title('plugins'), h('p', {}, 'Not written yet.'));
	},
};
