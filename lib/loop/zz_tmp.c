#include <math.h>
#include <string.h>
#include <stdlib.h>
#include "loop/loop_internal.h"
void gdfo__ph_init(gdfo__ph *ph, double delta, double lambda, int32_t min_n){memset(ph,0,sizeof(*ph));ph->delta=delta;ph->lambda=lambda;ph->min_n=min_n;}
int gdfo__ph_update(gdfo__ph *ph, double x){if(!isfinite(x))return 0;ph->n++;ph->mean+=(x-ph->mean)/ph->n;ph->up+=x-ph->mean-ph->delta;if(ph->up<ph->up_min)ph->up_min=ph->up;ph->down+=x-ph->mean+ph->delta;if(ph->down>ph->down_max)ph->down_max=ph->down;if(ph->n>=ph->min_n&&(ph->up-ph->up_min>ph->lambda||ph->down_max-ph->down>ph->lambda)){double d=ph->delta,l=ph->lambda;int32_t m=ph->min_n;gdfo__ph_init(ph,d,l,m);ph->n=1;ph->mean=x;return 1;}return 0;}
int gdfo__forecast_next(gdfo__forecast *out, const double *t, const double *v, size_t n, double t_next){(void)t;(void)t_next;memset(out,0,sizeof(*out));out->value=n?v[n-1]:0;out->seasonal=1;return 0;}
void gdfo__bound_add(gdfo__bound *b, double x){if(!(x>=0)||!isfinite(x))return;double l=log1p(x);if(!b->n){b->min=b->max=x;}b->n++;double d=l-b->mean;b->mean+=d/b->n;b->m2+=d*(l-b->mean);if(x<b->min)b->min=x;if(x>b->max)b->max=x;}
int gdfo__bound_check(const gdfo__bound *b, double x, int32_t min_n, double *z){double sd,zz;if(b->n<min_n)return 0;sd=b->n>1?sqrt(b->m2/(b->n-1)):0;if(sd<0.05)sd=0.05;zz=fabs(log1p(x)-b->mean)/sd;if(z)*z=zz;if(x>=b->min&&x<=b->max)return 0;return zz<3?0:zz<5?1:zz<8?2:3;}
