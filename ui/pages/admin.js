// admin.js - (to be written)
import {h, title} from '../lib/dom.js';

export default {
	async render(ctx) {
		ctx.root.append(title('admin'), h('p', {}, 'Not written yet.'));
	},
};
